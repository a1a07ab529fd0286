-- Privacy budgets (aggregate.BudgetStore): what each has spent, as exact
-- rationals written as text ("3/10"), so that ten charges of a tenth spend
-- exactly one. A charge locks the budget's row, adds, and checks the total.
CREATE TABLE privacy_budgets (
	name    text COLLATE "C" NOT NULL PRIMARY KEY,
	epsilon text             NOT NULL,
	delta   text             NOT NULL,
	charges bigint           NOT NULL
);
