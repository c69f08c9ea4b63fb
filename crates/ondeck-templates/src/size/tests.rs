use super::*;

#[test]
fn every_row_accepts_its_own_end_points_and_steps() {
    for (cpu, memory) in [
        (256, 512),
        (256, 2048),
        (512, 3072),
        (4096, 30720),
        (8192, 20480),
        (16384, 122880),
    ] {
        assert_eq!(
            TaskSize::new(cpu, memory),
            Ok(TaskSize { cpu, memory }),
            "{cpu}/{memory}"
        );
    }
    assert_eq!(all_sizes().count(), 3 + 4 + 7 + 13 + 23 + 12 + 12);
}

#[test]
fn memory_off_the_step_names_the_values_either_side() {
    let error = TaskSize::new(1024, 5000).unwrap_err();
    assert_eq!(
        error.nearest,
        vec![
            TaskSize {
                cpu: 1024,
                memory: 4096
            },
            TaskSize {
                cpu: 1024,
                memory: 5120
            }
        ]
    );
    assert_eq!(
        error.to_string(),
        "cpu = 1024, memory = 5000 is not a Fargate task size (cpu 1024 takes 2048–8192 MiB \
             in steps of 1024); nearest valid: cpu = 1024, memory = 4096 or cpu = 1024, memory = 5120"
    );
}

#[test]
fn memory_above_the_row_suggests_its_top_and_the_next_cpu_that_holds_it() {
    let error = TaskSize::new(256, 4096).unwrap_err();
    assert_eq!(
        error.nearest,
        vec![
            TaskSize {
                cpu: 256,
                memory: 2048
            },
            TaskSize {
                cpu: 512,
                memory: 4096
            }
        ]
    );
    assert!(
        error
            .to_string()
            .contains("(cpu 256 takes 512, 1024 or 2048 MiB)"),
        "{error}"
    );
}

#[test]
fn a_quarter_vcpu_takes_no_one_and_a_half_gigabytes() {
    let error = TaskSize::new(256, 1536).unwrap_err();
    assert_eq!(
        error.nearest,
        vec![
            TaskSize {
                cpu: 256,
                memory: 1024
            },
            TaskSize {
                cpu: 256,
                memory: 2048
            },
        ]
    );
}

#[test]
fn memory_below_the_row_suggests_its_bottom() {
    let error = TaskSize::new(2048, 1024).unwrap_err();
    assert_eq!(
        error.nearest,
        vec![TaskSize {
            cpu: 2048,
            memory: 4096
        }]
    );
}

#[test]
fn cpu_not_in_the_table_names_the_rows_either_side() {
    let error = TaskSize::new(1000, 2048).unwrap_err();
    assert_eq!(
        error.nearest,
        vec![
            TaskSize {
                cpu: 512,
                memory: 2048
            },
            TaskSize {
                cpu: 1024,
                memory: 2048
            },
        ]
    );
    assert!(
        error
            .to_string()
            .contains("cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384")
    );
}

#[test]
fn beyond_the_largest_size_only_smaller_ones_are_offered() {
    let error = TaskSize::new(32768, 262144).unwrap_err();
    assert_eq!(
        error.nearest,
        vec![TaskSize {
            cpu: 16384,
            memory: 122880
        }]
    );
    assert_eq!(TaskSize::smallest_fitting(32768, 1024), None);
}

#[test]
fn smallest_fitting_prefers_fewer_cpus_then_less_memory() {
    assert_eq!(
        TaskSize::smallest_fitting(0, 0),
        Some(TaskSize {
            cpu: 256,
            memory: 512
        })
    );
    assert_eq!(
        TaskSize::smallest_fitting(300, 600),
        Some(TaskSize {
            cpu: 512,
            memory: 1024
        })
    );
    assert_eq!(
        TaskSize::smallest_fitting(256, 3000),
        Some(TaskSize {
            cpu: 512,
            memory: 3072
        })
    );
    assert_eq!(
        TaskSize::smallest_fitting(1024, 9000),
        Some(TaskSize {
            cpu: 2048,
            memory: 9216
        })
    );
}

#[test]
fn vcpu_reads_as_people_write_it() {
    assert_eq!(vcpu(256), "0.25");
    assert_eq!(vcpu(512), "0.5");
    assert_eq!(vcpu(1024), "1");
    assert_eq!(vcpu(16384), "16");
}
