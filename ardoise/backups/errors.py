class BackupError(Exception):
    """A backup, verification or restore that cannot go on; the message is French and shown to users."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
