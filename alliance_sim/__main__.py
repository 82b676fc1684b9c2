"""`python -m alliance_sim` is the `alliance-sim` command."""

from alliance_sim.cli.main import main

if __name__ == "__main__":
    main()
