"""The activity family's shared words: what counts as a meeting, everywhere (segments, funnel, reviews).

A meeting is an activity of type "meeting", "video meeting" or "demo": a demo is a meeting with the
prospect, whatever the room. One definition for every page; each page's help says it
(strings "segments.help.meetings", "funnel.step.meetings").
"""
from __future__ import annotations

MEETING_TYPES = ("meeting", "video meeting", "demo")
