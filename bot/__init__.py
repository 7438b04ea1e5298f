"""whodecides: who decides, the Product Owner or the Product Manager?"""

__version__ = "0.1.0"
