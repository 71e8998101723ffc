"""Each measure family once, as SQL over a selection and an axis; every view composes them."""
