"""Quizzes: Markdown-authored content, scoring data, leaderboards and the certificate."""
