/** A journey's or a session's name: lower-case letters, digits and single dashes, as it names files, labels and URLs. */
export const NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
