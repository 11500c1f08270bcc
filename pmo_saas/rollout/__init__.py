"""The transformation roadmap: roll-out waves (pilot, wave 1, ...), their teams and criteria."""
