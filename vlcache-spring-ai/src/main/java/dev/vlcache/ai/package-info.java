/**
 * Spring AI integration: {@link dev.vlcache.ai.VlCacheChatModel} and its options, without Spring Boot.
 */
@NullMarked
package dev.vlcache.ai;

import org.jspecify.annotations.NullMarked;
