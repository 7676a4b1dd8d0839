"""The app's pages: Explore, Silence lab and Teach; each module has one `render()` that draws its page from
widgets and library calls, and nothing else."""
