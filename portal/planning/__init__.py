"""Planning: budgets, goals and indicators (MIR), physical-financial progress."""
