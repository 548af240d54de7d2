"""``python -m careplane_devrun``: see the package's docstring."""

from careplane_devrun.commands import main

raise SystemExit(main())
