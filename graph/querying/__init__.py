"""The one bounded path for every request's reading work: works (:mod:`.work`), the service that admits,
budgets and counts them (:mod:`.service`), and the runners behind it (:mod:`.pool` and :mod:`.worker` over
:mod:`.snapshots`, :mod:`.remote`, and the calling thread)."""
