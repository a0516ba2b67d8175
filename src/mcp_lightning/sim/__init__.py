"""Payment-flow simulator and fee-strategy backtests (see docs/simulator.md)."""
