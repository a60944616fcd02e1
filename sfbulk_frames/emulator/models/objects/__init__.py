"""The org's objects: the built-in org (``builtin``) and the standard objects loaded on demand
from the catalogue (``standard``)."""
