from sanat.cli import main

raise SystemExit(main())
