"""Model files: saving and loading (checkpoint), reading a .pth without trusting it (model_file), the limits it
is judged by (checkpoint_limits), and atomic writes of every file the product makes (fileio)."""
