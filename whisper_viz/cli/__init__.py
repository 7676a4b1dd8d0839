"""The `whisper-viz` command line: main.py builds the parser without importing torch and dispatches to one file
per subcommand (analyze, heads, silence), each importing what it needs when it runs."""
