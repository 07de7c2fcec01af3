"""The compiled engine behind `tidings` (see `tidings/__init__.py` for the documented API)."""

from typing import Any, Dict, List, Optional, Sequence, Tuple

__version__: str

class TidingsError(Exception):
    """A run could not be done; the message is the CLI's."""

class ArrowTable:
    """One table, exported once through the Arrow PyCapsule protocol."""
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...

class Model:
    @staticmethod
    def load(path: str) -> "Model": ...
    def save(self, path: str) -> None: ...
    @property
    def k(self) -> int: ...
    @property
    def themes(self) -> List[Tuple[int, str, str, List[str], int, str]]: ...
    @property
    def max_distance(self) -> float: ...

class Run:
    def table(self, name: str) -> Optional[ArrowTable]: ...
    def write(self, out: str) -> Tuple[List[str], Optional[str]]: ...
    def model(self) -> Model: ...
    @property
    def warnings(self) -> List[str]: ...
    @property
    def accounting(self) -> str: ...
    @property
    def k_choice(self) -> str: ...
    @property
    def timings(self) -> List[Tuple[str, float]]: ...
    @property
    def summary(self) -> str: ...

def run(
    paths: Optional[Sequence[str]],
    table: Optional[object],
    name: str,
    flags: Sequence[str],
    verbose: bool,
    model: Optional[Model] = None,
    names: Optional[Dict[int, str]] = None,
) -> Run: ...
def compare(
    before_paths: Optional[Sequence[str]],
    before_table: Optional[object],
    before_name: str,
    after_paths: Optional[Sequence[str]],
    after_table: Optional[object],
    after_name: str,
    periods: Optional[Tuple[str, str]],
    flags: Sequence[str],
    verbose: bool,
    model: Optional[Model] = None,
    names: Optional[Dict[int, str]] = None,
) -> Run: ...
