"""Scene construction (DESIGN.md §2): build_scenes and its report."""

from core.scenes.build import ScenesReport, build_scenes, candidate_count
from core.scenes.scorers import SCORERS

__all__ = ["SCORERS", "ScenesReport", "build_scenes", "candidate_count"]
