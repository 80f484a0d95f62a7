"""How the bot is doing: the decision log (decision_log), the figures moderators read (figures), the weekly
digest's schedule and wording (digest), and members' data kept only as long as needed (retention, forget)."""
