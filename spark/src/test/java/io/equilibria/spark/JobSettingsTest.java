package io.equilibria.spark;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How many tasks share one executor's memory, from the master and the configuration, and each task's share. */
class JobSettingsTest {
    @Test
    void tasksAtOnceComeFromTheMasterOrTheExecutorCores() {
        SparkConf none = new SparkConf(false);
        assertEquals(1, JobSettings.tasksAtOnce("local", none, 1));
        assertEquals(2, JobSettings.tasksAtOnce("local[2]", none, 1));
        assertEquals(2, JobSettings.tasksAtOnce("local[2,3]", none, 1));
        assertEquals(Runtime.getRuntime().availableProcessors(), JobSettings.tasksAtOnce("local[*]", none, 1));
        assertEquals(2, JobSettings.tasksAtOnce("local[4]", new SparkConf(false).set("spark.task.cpus", "2"), 2));
        assertEquals(0, JobSettings.tasksAtOnce("spark://head:7077", none, 1), "only the executor can tell");
        assertEquals(2, JobSettings.tasksAtOnce("spark://head:7077",
                new SparkConf(false).set("spark.executor.cores", "4").set("spark.task.cpus", "2"), 2));
    }

    @Test
    void eachTaskGetsItsShareOfTheDefaultBudget() {
        long one = new JobSettings(null, null, 1, 1).taskBudgetMiB(), two = new JobSettings(null, null, 1, 2).taskBudgetMiB();
        assertTrue(one > 0);
        assertEquals(one / 2.0, two, 1.0);
        assertThrows(IllegalArgumentException.class, () -> new JobSettings(null, null, 0, 1));
    }
}
