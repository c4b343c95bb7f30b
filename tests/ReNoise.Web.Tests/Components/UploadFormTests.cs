using Bunit;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Schedulers;
using ReNoise.Web.Components;
using ReNoise.Web.Components.Shared;
using ReNoise.Web.Services;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ReNoise.Web.Tests.Components;

public sealed class UploadFormTests : StudioTestContext
{
    private readonly List<InversionSubmission> _submitted = [];

    public UploadFormTests() : base(o => o.Uploads.MaxBytes = 2_000_000)
    {
    }

    private IRenderedComponent<UploadForm> RenderForm(bool interactive = true, StudioDraft? draft = null)
    {
        AsCircuit(interactive);
        Render<MudPopoverProvider>();
        return Render<UploadForm>(p => p.Add(x => x.OnSubmit, s => _submitted.Add(s)).Add(x => x.Draft, draft));
    }

    private static void Upload(IRenderedComponent<UploadForm> form, byte[] bytes, string name) =>
        form.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(bytes, name));

    /// <summary>Reading and decoding run off the renderer's thread: wait until the form has settled.</summary>
    private static void WaitUntilRead(IRenderedComponent<UploadForm> form) =>
        form.WaitForAssertion(() => Assert.False(form.Find("#submit-inversion").HasAttribute("disabled")), Decoding);

    /// <summary>Decoding a photo (and loading the demo model's tokenizer) takes seconds on a busy two-core machine.</summary>
    private static readonly TimeSpan Decoding = TimeSpan.FromSeconds(20);

    private static string UploadError(IRenderedComponent<UploadForm> form) => form.Find("[data-testid=upload-error]").TextContent;

    /// <summary>The message under a field, or null.</summary>
    private static string? FieldError(IRenderedComponent<UploadForm> form, string id) =>
        form.Find($"#{id}").Closest(".mud-input-control")?.QuerySelector(".mud-input-helper-text.mud-input-error")?.TextContent.Trim() is { Length: > 0 } text ? text : null;

    /// <summary>The form's list of problems, one entry each.</summary>
    private static string[] Problems(IRenderedComponent<UploadForm> form) =>
        form.FindAll("[data-testid=form-problem]").Select(e => e.TextContent.Trim()).ToArray();

    private static byte[] Png(int width, int height)
    {
        using var image = new Image<Rgb24>(width, height, new Rgb24(30, 120, 200));
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }

    private static (int Width, int Height) SizeOf(byte[] png)
    {
        using var image = Image.Load(png);
        return (image.Width, image.Height);
    }

    private void Ready(IRenderedComponent<UploadForm> form, byte[] photo, string name = "photo.png", string prompt = "a cup of coffee")
    {
        Upload(form, photo, name);
        WaitUntilRead(form);
        form.Find("[data-testid=upload-preview]");
        form.Find("#prompt-input").Input(prompt);
    }

    [Fact]
    public void A_photo_shows_its_working_size_preview_and_submits_with_prompt_model_and_preset()
    {
        var form = RenderForm();
        Upload(form, TestImages.Astronaut(), "astronaut.png");
        WaitUntilRead(form);
        Assert.StartsWith("data:image/jpeg;base64,", form.Find("[data-testid=upload-preview]").GetAttribute("src"));
        Assert.Contains("worked on at 384×384 px (centre crop)", form.Find("[data-testid=upload-name]").TextContent);
        Assert.Contains("(demo)", form.Find("[data-testid=model-select]").TextContent);
        Assert.Equal("preset: demo", form.Find("[data-testid=preset-chip]").TextContent.Trim());
        Assert.Equal("SD 2.x", form.Find("[data-testid=model-family]").TextContent.Trim());

        form.Find("#prompt-input").Input("  a photo of an astronaut  ");
        form.Find("#submit-inversion").Click();

        var submission = Assert.Single(_submitted);
        Assert.Equal("a photo of an astronaut", submission.Prompt);
        Assert.Equal("demo-sd-turbo", submission.Model);
        Assert.Null(submission.Parameters.Scheduler);
        Assert.Equal((384, 384), (submission.Parameters.Width, submission.Parameters.Height));
        Assert.Equal(TestImages.Astronaut(), submission.Image);
        Assert.Equal(ImageFit.CentreCrop, submission.Fit);
        // The upload was decoded once, here: the submission carries the working-size PNG the job keeps.
        Assert.NotNull(submission.Prepared);
        Assert.Same(submission.Image, submission.Prepared.Bytes);
        Assert.Equal((384, 384), SizeOf(submission.Prepared.WorkingPng));
        Assert.Equal(NoiseCorrectionMode.Exact, submission.Parameters.NoiseCorrection);
        Assert.Equal(4, submission.Parameters.InversionSteps);
        Assert.Empty(form.FindAll("[data-testid=form-problems]"));
    }

    [Theory]
    [InlineData("notes.txt", "is not a readable image (unknown format")]
    [InlineData("cut.png", "is not a readable image")]
    [InlineData("wide.png", "image is 8200x8 pixels; the limit is 8192 on a side")]
    public void An_unreadable_or_oversized_image_is_named_at_the_drop_zone_once_and_cannot_be_submitted(string name, string message)
    {
        byte[] bytes = name switch
        {
            "notes.txt" => TestImages.Text(),
            "cut.png" => TestImages.TruncatedPng(),
            _ => TestImages.TooWide(),
        };
        var form = RenderForm();
        Upload(form, bytes, name);
        WaitUntilRead(form);
        Assert.Contains(message, UploadError(form));
        Assert.Contains($"'{name}'", UploadError(form));
        Assert.Empty(form.FindAll("[data-testid=upload-preview]"));

        form.Find("#prompt-input").Input("a photo");
        form.Find("#submit-inversion").Click();
        Assert.Empty(_submitted);
        form.WaitForAssertion(() => Assert.Equal(["Photo"], Problems(form)));
        Assert.Single(form.FindAll("[data-testid=upload-error]"));
        Assert.Equal(1, CountOf(form.Markup, message));
        Assert.Equal("true", form.Find("#upload-input").GetAttribute("aria-invalid"));
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "").Length) / part.Length;

    [Fact]
    public void A_file_over_the_configured_byte_limit_is_refused_before_it_is_read()
    {
        var form = RenderForm();
        Upload(form, new byte[2_000_001], "huge.png");
        Assert.Equal("'huge.png' is 1.9 MB; uploads are limited to 1.9 MB", UploadError(form));
        Assert.Empty(form.FindAll("[data-testid=upload-preview]"));
    }

    [Fact]
    public void A_bad_number_typed_into_a_field_of_the_form_is_marked_there_at_once()
    {
        var form = RenderForm();
        form.Find("[data-testid=advanced-panel] .mud-expand-panel-header").Click();
        form.Find("#param-lambda-ac").Change("-1");
        form.WaitForAssertion(() => Assert.Equal("λ AC must be a number from 0 to 1000, got -1", FieldError(form, "param-lambda-ac")));
        Assert.Equal("true", form.Find("#param-lambda-ac").GetAttribute("aria-invalid"));
    }

    [Fact]
    public void Every_problem_is_listed_once_beside_the_button_and_marked_at_its_field()
    {
        var form = RenderForm();
        // Nothing is shown as wrong before a submission was tried...
        Assert.Empty(form.FindAll("[data-testid=photo-error]"));
        Assert.Null(FieldError(form, "prompt-input"));
        var panel = form.FindComponent<ParameterPanel>();
        panel.InvokeAsync(() => panel.Instance.ParametersChanged.InvokeAsync(panel.Instance.Parameters with { InversionSteps = 0, LambdaAc = -1 }));

        form.Find("#submit-inversion").Click();

        Assert.Empty(_submitted);
        // ...then every problem at once: no photo, no prompt and both bad parameters, each once.
        form.WaitForAssertion(() => Assert.Equal(["Photo", "Source prompt", "Inversion steps N", "λ AC"], Problems(form)));
        Assert.Equal("Choose a photo to invert: drop it on the box or click the box.", form.Find("[data-testid=photo-error]").TextContent.Trim());
        Assert.Equal("The source prompt is empty: describe what the image shows.", FieldError(form, "prompt-input"));
        Assert.Equal("Inversion steps N must be at least 1, got 0", FieldError(form, "param-steps"));
        Assert.Equal("λ AC must be a number from 0 to 1000, got -1", FieldError(form, "param-lambda-ac"));
        foreach (string message in new[] { "Inversion steps N must be at least 1, got 0", "λ AC must be a number from 0 to 1000, got -1", "The source prompt is empty" })
            Assert.Equal(1, CountOf(form.Markup, message));
        Assert.Equal("true", form.Find("#prompt-input").GetAttribute("aria-invalid"));
        Assert.Equal("true", form.Find("#param-steps").GetAttribute("aria-invalid"));
        // The fields at fault are in the Advanced panel, which opened to show them; each entry links to its field.
        Assert.True(form.FindComponent<ParameterPanel>().Instance.Expanded);
        Assert.Equal(["upload-input", "prompt-input", "param-steps", "param-lambda-ac"],
            form.FindAll("[data-testid=form-problem] button").Select(b => b.GetAttribute("data-field")));

        // Problems go away as they are fixed, without another click.
        Upload(form, TestImages.Coffee(), "coffee.png");
        WaitUntilRead(form);
        form.Find("#prompt-input").Input("a cup of coffee");
        form.Find("#param-steps").Change("4");
        form.Find("#param-lambda-ac").Change("20");
        form.WaitForAssertion(() => Assert.Empty(form.FindAll("[data-testid=form-problems]")));
        form.Find("#submit-inversion").Click();
        Assert.Single(_submitted);
    }

    [Fact]
    public void A_problem_of_the_parameters_on_the_model_is_said_in_the_fields_words()
    {
        var form = RenderForm();
        Ready(form, TestImages.Coffee());
        var panel = form.FindComponent<ParameterPanel>();
        panel.InvokeAsync(() => panel.Instance.ParametersChanged.InvokeAsync(panel.Instance.Parameters with { Strength = 0.1 }));
        form.Find("#submit-inversion").Click();
        form.WaitForAssertion(() => Assert.Equal(["Strength"], Problems(form)));
        Assert.Equal("Strength 0.1 inverts none of the 4 timesteps; raise it or the step count", FieldError(form, "param-strength"));

        // The LCM scheduler's schedule holds 50 steps: said as a step count, not in scheduler_config.json's terms.
        panel.InvokeAsync(() => panel.Instance.ParametersChanged.InvokeAsync(panel.Instance.Parameters with { Strength = 1, Scheduler = "lcm", InversionSteps = 60 }));
        form.WaitForAssertion(() => Assert.Equal(["Inversion steps N"], Problems(form)));
        Assert.Equal("Inversion steps N must be at most 50 with the lcm scheduler (its distilled schedule has 50 steps), got 60", FieldError(form, "param-steps"));
        Assert.DoesNotContain("original_inference_steps", form.Markup);
        Assert.DoesNotContain("num_train_timesteps", form.Markup);
        Assert.Empty(_submitted);
    }

    [Fact]
    public void Until_the_circuit_is_interactive_every_input_is_disabled_and_says_connecting()
    {
        var form = RenderForm(interactive: false);

        Assert.True(form.Find("#upload-input").HasAttribute("disabled"));
        Assert.True(form.Find("#prompt-input").HasAttribute("disabled"));
        Assert.True(form.Find("#submit-inversion").HasAttribute("disabled"));
        Assert.Contains("Connecting…", form.Find("#submit-inversion").TextContent);
        Assert.Equal("Connecting…", form.Find("[data-testid=connecting]").TextContent.Trim());
        // The drop zone's input has a name for screen readers.
        Assert.Equal("Choose a photo to invert", form.Find("#upload-input").GetAttribute("aria-label"));
    }

    [Theory]
    [InlineData("param-steps", "4.7", "Inversion steps N", "Inversion steps N must be a whole number from -2147483648 to 2147483647, got 4.7")]
    [InlineData("param-seed", "99999999999999999999", "Seed", "Seed must be a whole number from -2147483648 to 2147483647, got 99999999999999999999")]
    [InlineData("param-renoise-steps", "nine", "Renoise steps R", "Renoise steps R must be a whole number from -2147483648 to 2147483647, got nine")]
    public void Text_that_is_not_a_whole_number_is_refused_not_rewritten(string field, string typed, string label, string message)
    {
        var form = RenderForm();
        Ready(form, TestImages.Coffee());
        var before = form.FindComponent<ParameterPanel>().Instance.Parameters;

        form.Find($"#{field}").Change(typed);

        // The field keeps the text and says why; the value in effect is the last valid one, not 0.
        form.WaitForAssertion(() => Assert.Equal(message, FieldError(form, field)));
        Assert.Equal(typed, form.Find($"#{field}").GetAttribute("value"));
        Assert.Equal(before, form.FindComponent<ParameterPanel>().Instance.Parameters);
        form.Find("#submit-inversion").Click();
        Assert.Empty(_submitted);
        form.WaitForAssertion(() => Assert.Equal([label], Problems(form)));
        Assert.Equal(1, CountOf(form.Markup, message));

        // Fixing the text lifts the refusal.
        form.Find($"#{field}").Change("5");
        form.WaitForAssertion(() => Assert.Empty(form.FindAll("[data-testid=form-problems]")));
        form.Find("#submit-inversion").Click();
        Assert.Single(_submitted);
    }

    [Fact]
    public void A_job_over_the_model_call_budget_is_refused_naming_the_parameters_and_the_limit()
    {
        var form = RenderForm();
        Ready(form, TestImages.Coffee());
        form.Find("#param-steps").Change("50"); // 50 steps x (R = 9 + 1) + corrections + reconstruction: over 400

        form.Find("#submit-inversion").Click();

        Assert.Empty(_submitted);
        form.WaitForAssertion(() =>
        {
            string error = Assert.Single(Problems(form));
            Assert.Contains("the limit is 400 per job", error);
            Assert.Contains("Inversion steps N = 50", error);
            Assert.Contains("Renoise steps R = 9", error);
        });
    }

    [Fact]
    public void The_prompt_counts_its_tokens_as_it_is_typed_and_warns_beyond_what_the_model_reads()
    {
        var form = RenderForm();
        Assert.Empty(form.FindAll("[data-testid=prompt-tokens]"));
        form.Find("#prompt-input").Input("a photo of a cat");
        Assert.Equal("5 of 75 tokens", form.Find("[data-testid=prompt-tokens]").TextContent.Trim());

        form.Find("#prompt-input").Input(string.Join(' ', Enumerable.Repeat("cat", 80)));
        var count = form.Find("[data-testid=prompt-tokens]");
        Assert.Contains("over", count.ClassList);
        Assert.Equal("80 of 75 tokens: the model reads only the first 75 (77 with its start and end tokens); the rest of the prompt is ignored", count.TextContent.Trim());
    }

    [Fact]
    public void The_preset_chip_says_when_the_values_no_longer_are_the_presets_and_reset_brings_them_back()
    {
        var form = RenderForm();
        Assert.Equal("preset: demo", form.Find("[data-testid=preset-chip]").TextContent.Trim());

        form.Find("#param-renoise-steps").Change("3");
        form.WaitForAssertion(() => Assert.Equal("preset: demo · changed", form.Find("[data-testid=preset-chip]").TextContent.Trim()));
        form.Find("#param-renoise-steps").Change("9");
        form.WaitForAssertion(() => Assert.Equal("preset: demo", form.Find("[data-testid=preset-chip]").TextContent.Trim()));

        form.Find("#param-seed").Change("1");
        form.WaitForAssertion(() => Assert.Contains("changed", form.Find("[data-testid=preset-chip]").TextContent));
        form.Find("[data-testid=preset-reset]").Click();
        form.WaitForAssertion(() => Assert.Equal("preset: demo", form.Find("[data-testid=preset-chip]").TextContent.Trim()));
        Assert.Equal("7865", form.Find("#param-seed").GetAttribute("value"));
    }

    [Fact]
    public void Padding_keeps_the_whole_photo_and_the_submission_carries_that_decode()
    {
        var form = RenderForm();
        Ready(form, Png(800, 400), "wide.png");
        Assert.Contains("800×400 px, worked on at 384×384 px (centre crop)", form.Find("[data-testid=upload-name]").TextContent);
        string cropped = form.Find("[data-testid=upload-preview]").GetAttribute("src")!;

        form.FindComponent<PhotoFit>().InvokeAsync(() => form.FindComponent<PhotoFit>().Instance.FitChanged.InvokeAsync(ImageFit.Pad));
        form.WaitForAssertion(() => Assert.Contains("(fitted with padding)", form.Find("[data-testid=upload-name]").TextContent), Decoding);
        WaitUntilRead(form);
        Assert.NotEqual(cropped, form.Find("[data-testid=upload-preview]").GetAttribute("src"));
        form.Find("#submit-inversion").Click();

        var submission = Assert.Single(_submitted);
        Assert.Equal(ImageFit.Pad, submission.Fit);
        Assert.Equal(ImageFit.Pad, submission.Prepared!.Fit);
        using var working = Image.Load<Rgb24>(submission.Prepared.WorkingPng);
        Assert.Equal(new Rgb24(255, 255, 255), working[192, 10]); // the band above the photo
        Assert.Equal(new Rgb24(30, 120, 200), working[192, 192]);
    }

    [Fact]
    public void A_crop_region_is_chosen_on_the_whole_photo_by_clicking_and_the_sliders()
    {
        var form = RenderForm();
        Ready(form, Png(800, 400), "wide.png");
        var fit = form.FindComponent<PhotoFit>();
        fit.InvokeAsync(() => fit.Instance.FitChanged.InvokeAsync(ImageFit.Region(0.25, 0, 0.5, 1)));
        form.WaitForAssertion(() => Assert.StartsWith("data:image/jpeg", form.Find("[data-testid=crop-photo] img").GetAttribute("src")), Decoding);
        Assert.Equal("left: 25%; top: 0%; width: 50%; height: 100%", form.Find("[data-testid=crop-region]").GetAttribute("style"));

        // A click near the right edge centres the region as far right as it goes.
        form.Find("[data-testid=crop-photo]").TriggerEvent("oncroppick", new CropPickEventArgs { X = 0.95, Y = 0.5 });
        form.WaitForAssertion(() => Assert.Equal("left: 50%; top: 0%; width: 50%; height: 100%", form.Find("[data-testid=crop-region]").GetAttribute("style")));
        form.WaitForAssertion(() => Assert.Contains("(the chosen region)", form.Find("[data-testid=upload-name]").TextContent), Decoding);
        WaitUntilRead(form);
        form.Find("#submit-inversion").Click();

        var submission = Assert.Single(_submitted);
        Assert.Equal(ImageFitMode.Region, submission.Fit.Mode);
        Assert.Equal((0.5, 0.0, 0.5, 1.0), (submission.Fit.Left, submission.Fit.Top, submission.Fit.Width, submission.Fit.Height));
    }

    [Theory]
    [InlineData(8000, 50, "a centre crop keeps only 0.63% of it")]
    [InlineData(1, 1, "This photo is only 1×1 pixels: it is enlarged 384 times to the working size")]
    public void An_extreme_photo_is_warned_about_before_it_is_inverted(int width, int height, string warning)
    {
        var form = RenderForm();
        Ready(form, Png(width, height), "odd.png");
        Assert.Contains(form.FindAll("[data-testid=fit-warning]"), w => w.TextContent.Contains(warning));
    }

    [Fact]
    public void The_working_size_is_chosen_from_shapes_near_the_models_size_or_typed_within_its_bounds()
    {
        var form = RenderForm();
        Ready(form, Png(640, 480), "landscape.png");
        var picker = form.FindComponent<WorkingSizePicker>();
        picker.InvokeAsync(() => picker.Instance.SizeChanged.InvokeAsync((440, 328)));
        form.WaitForAssertion(() => Assert.Contains("worked on at 440×328 px", form.Find("[data-testid=upload-name]").TextContent), Decoding);
        Assert.Contains("440×328 (4:3)", picker.Markup);

        form.Find("#submit-inversion").Click();
        form.WaitForAssertion(() => Assert.Single(_submitted), Decoding);
        var submission = _submitted[0];
        Assert.Equal((440, 328), (submission.Parameters.Width, submission.Parameters.Height));
        Assert.Equal((440, 328), SizeOf(submission.Prepared!.WorkingPng));

        // Custom: any size within the bounds, which the fields show; one that is no multiple of 8 is refused at its field.
        picker.InvokeAsync(() => picker.Instance.SizeChanged.InvokeAsync((496, 328)));
        form.WaitForAssertion(() => Assert.Contains("8 to 2048 pixels, a multiple of 8", form.Find("#param-width").Closest(".mud-input-control")!.TextContent));
        picker.InvokeAsync(() => picker.Instance.SizeChanged.InvokeAsync((500, 328)));
        form.WaitForAssertion(() => Assert.Equal("Working width must be a multiple of 8 from 8 to 2048 pixels, got 500", FieldError(form, "param-width")));
    }

    [Fact]
    public void A_draft_from_the_gallery_starts_with_its_photo_prompt_model_and_parameters()
    {
        var parameters = TestServices.Catalog().Default.Defaults with { RenoiseSteps = 3, Seed = 42 };
        var form = RenderForm(draft: new StudioDraft(TestImages.Coffee(), "coffee.png", 384, 384, "a cup of coffee", "demo-sd-turbo", parameters));

        form.WaitForAssertion(() => form.Find("[data-testid=upload-preview]"), Decoding);
        Assert.Contains("Re-inverting “a cup of coffee” with new settings", form.Find("[data-testid=reinvert-note]").TextContent);
        Assert.Equal("a cup of coffee", form.Find("#prompt-input").GetAttribute("value"));
        Assert.Equal("preset: demo · changed", form.Find("[data-testid=preset-chip]").TextContent.Trim());
        WaitUntilRead(form);
        form.Find("#submit-inversion").Click();

        var submission = Assert.Single(_submitted);
        Assert.Equal(("a cup of coffee", 3, 42), (submission.Prompt, submission.Parameters.RenoiseSteps, submission.Parameters.Seed));
        Assert.Equal("coffee.png", submission.FileName);
    }
}
