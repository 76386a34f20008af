"""Pure parsers for topic listing pages: bytes or text in, validated teaser records out.

No network, no files, no globals: safe to map over millions of pages in any engine.
"""

from __future__ import annotations

import logging

from parsers.decode import decode_html
from parsers.errors import InputTooLarge, NoTeasersFound, ParseError, ProfileError, UndecodableInput
from parsers.html import page_index, parse_topic_page
from parsers.profiles import PROFILES, Profile, get_profile, load_profile_file
from parsers.records import SCHEMA_VERSION, Record, Teaser, TopicPage, record_id
from parsers.text import parse_text_dump

__all__ = [
    "PROFILES",
    "SCHEMA_VERSION",
    "InputTooLarge",
    "NoTeasersFound",
    "ParseError",
    "Profile",
    "ProfileError",
    "Record",
    "Teaser",
    "TopicPage",
    "UndecodableInput",
    "decode_html",
    "get_profile",
    "load_profile_file",
    "page_index",
    "parse_text_dump",
    "parse_topic_page",
    "record_id",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
