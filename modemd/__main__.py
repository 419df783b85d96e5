from modemd.cli import main

raise SystemExit(main())
