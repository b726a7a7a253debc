export { QpipeError } from './qpipe-error';
export { ConfigError } from './config-error';
export { TimeoutError } from './timeout-error';
export { HdfsError } from './hdfs-error';
export { HiveError } from './hive-error';
export { StackError } from './stack-error';
