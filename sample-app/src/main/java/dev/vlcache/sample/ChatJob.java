package dev.vlcache.sample;

import org.springframework.ai.chat.prompt.Prompt;

/**
 * A validated request, ready for the chat model.
 *
 * @param prompt the prompt with its images and per-request options
 * @param images how many images it carries
 */
public record ChatJob(Prompt prompt, int images) {
}
