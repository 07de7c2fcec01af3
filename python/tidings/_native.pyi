"""The compiled engine behind `tidings` (see `tidings/__init__.py` for the documented API)."""

from typing import Any, Dict, List, Optional, Sequence, Tuple

__version__: str
#: Band keys per fingerprint (`fingerprint_batch`'s `band0` ...).
DUPLICATE_BANDS: int

class TidingsError(Exception):
    """A run could not be done; settings are named as keywords (`min_df`)."""

class InputError(TidingsError):
    """Input that cannot be clustered."""

class SettingsError(TidingsError):
    """A setting out of range, or settings that do not go together."""

class ModelError(TidingsError):
    """A model file that is not one, is damaged, or does not fit the request."""

class FileError(TidingsError):
    """Reading or writing a file failed."""

class CancelledError(TidingsError):
    """The run was stopped on request between stages."""

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
    @property
    def unassigned_id(self) -> int: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(data: bytes) -> "Model": ...

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
    def stability(self) -> Optional[float]: ...
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
    document_frequencies: Optional[Tuple[object, int]] = None,
) -> Run: ...
def document_frequencies(batch: object, name: str, flags: Sequence[str]) -> Tuple[ArrowTable, int]: ...
def df_bounds(flags: Sequence[str], n_docs: int) -> Tuple[int, int, float]: ...
def assign_batch(
    model: Model, batch: object, name: str, flags: Sequence[str], max_distance: Optional[float] = None
) -> ArrowTable: ...
def fingerprint_batch(batch: object, name: str, flags: Sequence[str]) -> ArrowTable: ...
def duplicates_among(
    prints: Sequence[bytes], threshold: float
) -> Tuple[List[int], List[int], List[float], List[bool]]: ...
def report_counts(
    model: Model, counts: object, period: str, source: str, out: str
) -> Tuple[List[str], Optional[str]]: ...
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
