package modset

// GoSumFiles returns the go.sum files whose lines go checks downloads
// against before it asks the checksum database, for a go command run with
// opts (Dir, GOMOD, GOWORK, GOFLAGS): the go.sum next to the main go.mod
// (or -modfile), or in workspace mode go.work.sum and each workspace
// module's go.sum, as modfetch reads them.
func GoSumFiles(opts Options) ([]string, error) {
	ms, err := loadMain(opts)
	if err != nil {
		return nil, err
	}
	return ms.sumFiles(), nil
}

// ReadGoSums reads the go.sum files files into one set of sums, a missing
// file holding none, as go reads them.
func ReadGoSums(files []string) (*Sums, error) {
	sums := NewSums()
	for _, f := range files {
		if err := readGoSumFile(f, sums); err != nil {
			return nil, err
		}
	}
	return sums, nil
}
