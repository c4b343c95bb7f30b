using Bunit;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;
using ReNoise.Engine.Schedulers;
using ReNoise.Web.Components.Shared;
using ReNoise.Web.Services;

namespace ReNoise.Web.Tests.Components;

public sealed class UploadFormTests : StudioTestContext
{
    private readonly List<InversionSubmission> _submitted = [];

    public UploadFormTests() : base(o => o.Uploads.MaxBytes = 2_000_000)
    {
    }

    private IRenderedComponent<UploadForm> RenderForm(bool interactive = true)
    {
        AsCircuit(interactive);
        Render<MudPopoverProvider>();
        return Render<UploadForm>(p => p.Add(x => x.OnSubmit, s => _submitted.Add(s)));
    }

    private static void Upload(IRenderedComponent<UploadForm> form, byte[] bytes, string name) =>
        form.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(bytes, name));

    /// <summary>Reading and decoding run off the renderer's thread: wait until the form has settled.</summary>
    private static void WaitUntilRead(IRenderedComponent<UploadForm> form) =>
        form.WaitForAssertion(() => Assert.False(form.Find("#submit-inversion").HasAttribute("disabled")));

    private static string UploadError(IRenderedComponent<UploadForm> form) => form.Find("[data-testid=upload-error]").TextContent;

    [Fact]
    public void A_photo_shows_its_working_size_preview_and_submits_with_prompt_model_and_preset()
    {
        var form = RenderForm();
        Upload(form, TestImages.Astronaut(), "astronaut.png");
        WaitUntilRead(form);
        Assert.StartsWith("data:image/jpeg;base64,", form.Find("[data-testid=upload-preview]").GetAttribute("src"));
        Assert.Contains("384×384", form.Find("[data-testid=upload-name]").TextContent);
        Assert.Contains("(demo)", form.Find("[data-testid=model-select]").TextContent);
        Assert.Contains("preset: demo", form.Find("[data-testid=model-preset]").TextContent);

        form.Find("#prompt-input").Input("  a photo of an astronaut  ");
        form.Find("#submit-inversion").Click();

        var submission = Assert.Single(_submitted);
        Assert.Equal("a photo of an astronaut", submission.Prompt);
        Assert.Equal("demo-sd-turbo", submission.Model);
        Assert.Null(submission.Parameters.Scheduler);
        Assert.Equal((384, 384), (submission.Parameters.Width, submission.Parameters.Height));
        Assert.Equal(TestImages.Astronaut(), submission.Image);
        // The upload was decoded once, here: the submission carries the working-size PNG the job keeps.
        Assert.NotNull(submission.Prepared);
        Assert.Same(submission.Image, submission.Prepared.Bytes);
        using (var working = SixLabors.ImageSharp.Image.Load(submission.Prepared.WorkingPng))
            Assert.Equal((384, 384), (working.Width, working.Height));
        Assert.Equal(NoiseCorrectionMode.Exact, submission.Parameters.NoiseCorrection);
        Assert.Equal(4, submission.Parameters.InversionSteps);
        Assert.Empty(form.FindAll("[data-testid=form-error]"));
    }

    [Theory]
    [InlineData("notes.txt", "is not a readable image (unknown format")]
    [InlineData("cut.png", "is not a readable image")]
    [InlineData("wide.png", "image is 8200x8 pixels; the limit is 8192 on a side")]
    public void An_unreadable_or_oversized_image_is_named_in_the_page_and_cannot_be_submitted(string name, string message)
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
        form.WaitForAssertion(() => Assert.Contains("readable photo", form.Find("[data-testid=form-error]").TextContent));
    }

    [Fact]
    public void A_file_over_the_configured_byte_limit_is_refused_before_it_is_read()
    {
        var form = RenderForm();
        Upload(form, new byte[2_000_001], "huge.png");
        Assert.Equal("'huge.png' is 1.9 MB; uploads are limited to 1.9 MB", UploadError(form));
        Assert.Empty(form.FindAll("[data-testid=upload-preview]"));
    }

    [Fact]
    public void Submitting_without_a_photo_or_with_an_empty_prompt_says_what_is_missing()
    {
        var form = RenderForm();
        form.Find("#submit-inversion").Click();
        form.WaitForAssertion(() => Assert.Contains("Choose a photo", form.Find("[data-testid=form-error]").TextContent));

        Upload(form, TestImages.Coffee(), "coffee.png");
        WaitUntilRead(form);
        form.Find("[data-testid=upload-preview]");
        form.Find("#prompt-input").Input("   ");
        form.Find("#submit-inversion").Click();
        form.WaitForAssertion(() => Assert.Contains("The source prompt is empty", form.Find("[data-testid=form-error]").TextContent));
        Assert.Empty(_submitted);

        // A shown problem goes away as soon as it is fixed.
        form.Find("#prompt-input").Input("a cup of coffee");
        Assert.Empty(form.FindAll("[data-testid=form-error]"));
    }

    [Fact]
    public void Out_of_range_parameters_block_the_submission_with_the_engines_message()
    {
        var form = RenderForm();
        Upload(form, TestImages.Coffee(), "coffee.png");
        WaitUntilRead(form);
        form.Find("[data-testid=upload-preview]");
        form.Find("#prompt-input").Input("a cup of coffee");
        form.WaitForAssertion(() => Assert.Equal("a cup of coffee", form.Find("#prompt-input").GetAttribute("value")));
        var panel = form.FindComponent<ParameterPanel>();
        panel.InvokeAsync(() => panel.Instance.ParametersChanged.InvokeAsync(panel.Instance.Parameters with { Strength = 0.1 }));

        form.Find("#submit-inversion").Click();

        Assert.Empty(_submitted);
        form.WaitForAssertion(() => Assert.Equal("Strength 0.1 inverts none of the 4 timesteps; raise it or the step count", form.Find("[data-testid=form-error]").TextContent.Trim()));
        // A field-level problem opens the Advanced panel so the field can be fixed.
        panel.InvokeAsync(() => panel.Instance.ParametersChanged.InvokeAsync(panel.Instance.Parameters with { InversionSteps = 0 }));
        form.Find("#submit-inversion").Click();
        form.WaitForAssertion(() => Assert.Equal("Inversion steps N must be at least 1, got 0", form.Find("[data-testid=form-error]").TextContent.Trim()));
        Assert.True(form.FindComponent<ParameterPanel>().Instance.Expanded);
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
    }

    [Theory]
    [InlineData("param-steps", "4.7", "Inversion steps N must be a whole number from -2147483648 to 2147483647, got 4.7")]
    [InlineData("param-seed", "99999999999999999999", "Seed must be a whole number from -2147483648 to 2147483647, got 99999999999999999999")]
    [InlineData("param-renoise-steps", "nine", "Renoise steps R must be a whole number from -2147483648 to 2147483647, got nine")]
    public void Text_that_is_not_a_whole_number_is_refused_not_rewritten(string field, string typed, string message)
    {
        var form = RenderForm();
        Upload(form, TestImages.Coffee(), "coffee.png");
        WaitUntilRead(form);
        form.Find("#prompt-input").Input("a cup of coffee");
        var before = form.FindComponent<ParameterPanel>().Instance.Parameters;

        form.Find($"#{field}").Change(typed);

        // The field keeps the text and says why; the value in effect is the last valid one, not 0.
        form.WaitForAssertion(() => Assert.Contains(message, form.Find("[data-testid=param-error]").TextContent));
        Assert.Equal(typed, form.Find($"#{field}").GetAttribute("value"));
        Assert.Equal(before, form.FindComponent<ParameterPanel>().Instance.Parameters);
        form.Find("#submit-inversion").Click();
        Assert.Empty(_submitted);
        form.WaitForAssertion(() => Assert.Equal(message, form.Find("[data-testid=form-error]").TextContent.Trim()));

        // Fixing the text lifts the refusal.
        form.Find($"#{field}").Change("5");
        form.WaitForAssertion(() => Assert.Empty(form.FindAll("[data-testid=form-error]")));
        form.Find("#submit-inversion").Click();
        Assert.Single(_submitted);
    }

    [Fact]
    public void A_job_over_the_model_call_budget_is_refused_naming_the_parameters_and_the_limit()
    {
        var form = RenderForm();
        Upload(form, TestImages.Coffee(), "coffee.png");
        WaitUntilRead(form);
        form.Find("#prompt-input").Input("a cup of coffee");
        form.Find("#param-steps").Change("50"); // 50 steps x (R = 9 + 1) + corrections + reconstruction: over 400

        form.Find("#submit-inversion").Click();

        Assert.Empty(_submitted);
        form.WaitForAssertion(() =>
        {
            string error = form.Find("[data-testid=form-error]").TextContent;
            Assert.Contains("the limit is 400 per job", error);
            Assert.Contains("Inversion steps N = 50", error);
            Assert.Contains("Renoise steps R = 9", error);
        });
    }
}
