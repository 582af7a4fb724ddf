"""Evaluation of user simulators (issue 10): metrics, baselines, LLM modes, runs, and the app's views."""
