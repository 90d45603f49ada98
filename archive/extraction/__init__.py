"""Stages of article extraction; archive.extract orchestrates them."""
