"""DafnckMachine worker SDK: connect an agent process to the edge and run its tasks.

from dafnck_sdk import Agent, Task

async def summarize(task: Task) -> dict:
    await task.progress(0.5, "thinking")
    return {"summary": task.input["text"][:50]}

Agent(edge_url="http://127.0.0.1:8080", api_key="dka_...", name="summarizer",
      capabilities=["summarize"], concurrency=2, handler=summarize).run()
"""

from __future__ import annotations

from dafnck_sdk.agent import Agent
from dafnck_sdk.errors import AgentAuthError, AgentStopped, DeliveryError, PermanentFailure
from dafnck_sdk.protocol import Message
from dafnck_sdk.task import Task

__all__ = [
    "Agent",
    "AgentAuthError",
    "AgentStopped",
    "DeliveryError",
    "Message",
    "PermanentFailure",
    "Task",
]
