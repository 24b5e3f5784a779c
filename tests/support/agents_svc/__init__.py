"""What the agents context's tests share: a scheduler driver, fakes, harnesses, event builders."""
