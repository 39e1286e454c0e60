"""What both ends of the mock insurer need to agree on, beneath everything else that uses it."""

from __future__ import annotations

SERVICE_PATH = "/fsi/api/rsfComIfsService/callService"  # the national platform's one path
AUTHORIZE_PATH = "/mock-insurer/authorize"  # the page the patient confirms an e-voucher payment on
DEFAULT_SECRET = "mock-insurer-dev-secret"
DEFAULT_ADMDVS = "350100"
