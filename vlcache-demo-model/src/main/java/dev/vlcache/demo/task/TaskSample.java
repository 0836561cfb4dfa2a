package dev.vlcache.demo.task;

import java.util.List;

/**
 * One question about one to four pages, with its reference answer.
 *
 * @param scenes the pages, in prompt order
 * @param kind what the question asks
 * @param question the question as a user types it
 * @param answer the reference answer
 */
public record TaskSample(List<Scene> scenes, QuestionKind kind, String question, String answer) {

	public TaskSample {
		scenes = List.copyOf(scenes);
	}

}
