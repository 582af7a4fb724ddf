"""The CLI `python -m core`: one module per command group registers its subcommands."""
