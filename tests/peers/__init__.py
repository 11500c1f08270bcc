"""Local peers (real servers on loopback) shared by several test folders."""
