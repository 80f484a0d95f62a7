"""The support channel: when the bot speaks and what it does (policy), cooldowns and member limits
(cooldowns), members' votes and the unanswered queue (feedback), grouped by meaning (question_groups)."""
