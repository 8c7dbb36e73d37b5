"""redistrict: split oversized urban communities (社区) into contiguous new communities.

The command line (``redistrict.cli``), scenario config, policy profiles and the pipeline that wires
``boundaries`` → ``solver`` → ``maps``.
"""
__version__ = "0.1.0"
