"""The model's core: equations, the compiled scenario, the state, the month, events, engines."""
