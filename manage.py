#!/usr/bin/env python
from ardoise.cli import main

if __name__ == "__main__":
    main()
