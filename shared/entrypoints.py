"""nameko entrypoints as Ortak uses them.

``rpc`` marks our typed errors as expected, so a refused request is logged as a warning
instead of an error with a traceback.
"""
from nameko.rpc import rpc as nameko_rpc

from shared.errors import OrtakError

rpc = nameko_rpc(expected_exceptions=OrtakError)
