from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.schemas.common import ResponseModel


class HealthResponse(ResponseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, str] = Field(description="Each dependency and its state")
