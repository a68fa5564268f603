package org.fedmil.site.task;

/** Does one kind of task for this site; one implementation per kind, each testable alone. */
@FunctionalInterface
public interface TaskExecutor<T extends SiteTask> {

    void execute(T task) throws InterruptedException;
}
