"""Scene construction (DESIGN.md §2): build_scenes and its report."""

from core.scenes.build import ScenesReport, build_scenes, candidate_count

__all__ = ["ScenesReport", "build_scenes", "candidate_count"]
