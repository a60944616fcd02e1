"""sfbulk_frames with a polars DataFrame in and out (see ``_ours``)."""

from bench.scenarios._common import main
from bench.scenarios._ours import scenario

SCENARIO = scenario("polars")

if __name__ == "__main__":
    raise SystemExit(main(SCENARIO))
