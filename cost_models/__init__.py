"""Results schema, area / power models, Pareto fronts and plots (imported as hwgen.cost_models)."""
