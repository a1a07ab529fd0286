-- Privacy budgets (aggregate.BudgetStore): what each has spent, as exact
-- rationals written as text ("3/10"), so that ten charges of a tenth spend
-- exactly one. A charge takes the write lock, adds, and checks the total.
CREATE TABLE privacy_budgets (
	name    TEXT    NOT NULL PRIMARY KEY,
	epsilon TEXT    NOT NULL,
	delta   TEXT    NOT NULL,
	charges INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
