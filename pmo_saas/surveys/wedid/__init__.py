"""\"You said, we did\": after a culture survey closes, the coach and the team pick focus
questions from the shown results and commit actions (coaching actions in the team's plan);
the team's next round shows each commitment's status beside the change in its question, and
its respondents read what was done before they answer.

It lives in surveys because it reads surveys' results under the anonymity rules and writes
coaching actions through coaching's services: surveys imports coaching, never the reverse.
"""
