"""Real-workload accuracy: all-MiniLM-L6-v2 in NumPy through hwgen's golden arithmetic."""
