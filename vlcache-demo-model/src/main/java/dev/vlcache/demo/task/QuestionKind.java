package dev.vlcache.demo.task;

/** What a question asks. All but {@link #DESCRIBE} have one- or two-word answers, scored by exact match. */
public enum QuestionKind {

	/** The colour of the one coloured shape among gray ones. */
	COLOUR,
	/** The shape of the coloured shape. */
	SHAPE,
	/** The letter written on the coloured shape. */
	LETTER,
	/** The region the coloured shape is in. */
	POSITION,
	/** How many shapes are coloured (one to four). */
	COUNT,
	/** Every object of the page, in reading order; scored by token F1. */
	DESCRIBE;

	/** Whether the answer is short and scored by exact match. */
	public boolean shortAnswer() {
		return this != DESCRIBE;
	}

}
